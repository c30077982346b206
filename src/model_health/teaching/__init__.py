"""The teaching layer: exercises, their checks, and what a learner sees of their progress.

- ``grading``: exercises, checks, hints, solutions and the score summary; ``exercises``: one module per notebook.
- ``results``: what a check finds, as data (``Status``, ``Result``, ``ScoreSummary``).
- ``progress``: a learner's offline progress; ``quiz``: the concept quiz.
- ``authoring``: builds learner notebooks and each exercise's solution from the solution notebooks.
- ``runner``: runs notebooks: the build's run, the self-check and the benchmark of every notebook.
"""
