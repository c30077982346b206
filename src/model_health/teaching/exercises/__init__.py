"""One module per notebook, each holding that notebook's exercises (q1, q2, …).

A module's name matches its notebook: ``nb01_model_health_dashboard`` checks
``notebooks/01_model_health_dashboard.ipynb``. Solutions are not written here:
``solutions/<notebook>.json`` is generated from the solution notebook.
"""
