import sys

from tf_step_lint.cli import main

sys.exit(main())
