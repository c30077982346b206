"""The warnings the workbook's helpers give, for a learner to catch or filter by class.

    import warnings
    from model_health.exceptions import UndefinedValueWarning
    warnings.simplefilter("error", UndefinedValueWarning)  # stop at the first undefined value instead

(scikit-learn keeps its ``UndefinedMetricWarning`` in ``sklearn.exceptions`` the same way.)
"""

__all__ = ["ApproximateValueWarning", "UndefinedValueWarning"]


class UndefinedValueWarning(UserWarning):
    """A quantity is undefined for the data given, so NaN is returned; the message says why.

    An undefined value is never reported as 0, and a verdict computed from it is "unknown".
    """


class ApproximateValueWarning(UserWarning):
    """A value was found by a numerical search, not in closed form; the message says how far to trust it."""
