"""cmd-correct: the pipeline that trains, quantizes, evaluates and releases a shell command corrector."""

__version__ = "0.1.0"
