"""`python -m gptlab_helpers.training ...` (e `torchrun ... -m gptlab_helpers.training ...`): o `gptlab-train`."""

import sys

from .cli import main

sys.exit(main())
