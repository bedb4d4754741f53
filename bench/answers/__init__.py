"""Answer-quality benchmark over the labelled support pages in tests/data/answers.

    .venv/bin/python -m bench.answers [--split dev|test|both]
    .venv/bin/python -m bench.answers.calibrate      # refit resources/answers/selector.json on dev
"""
