"""The classroom: what an instructor runs over a class's notebooks; a learner's kernel never needs it.

- ``batch_grading``: grading a class's notebooks; ``release``: what a graded kernel sees of the exercises.
- ``sandbox``: the bubblewrap sandbox of a submission's kernel; ``variants``: each learner's own copy.
- ``vetting``: runs each solution on a seed and records whether it holds there (``workbook.py vet``).
- ``seeding``: a notebook's seed: the published one, the one its set-up cell calls, a copy with another.
"""
