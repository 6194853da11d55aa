"""``python -m core …``: the command-line interface (see core/cli.py)."""

import sys

if sys.argv[1:2] == ["extract"]:
    # `extract` needs no database: load its module alone, without the CLI package's imports
    # (SQLAlchemy, pandas, the models), which take longer than the extraction itself.
    from importlib.util import module_from_spec, spec_from_file_location
    from pathlib import Path

    spec = spec_from_file_location("core.cli.extract", Path(__file__).parent / "cli" / "extract.py")
    extract = module_from_spec(spec)
    spec.loader.exec_module(extract)
    sys.exit(extract.main(sys.argv[2:]))

from core.cli import main

sys.exit(main())
