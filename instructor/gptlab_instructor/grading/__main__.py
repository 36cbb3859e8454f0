"""`python -m gptlab_instructor.grading ...`: o mesmo que o comando `gptlab-grade`."""

import sys

from .cli import main

sys.exit(main())
