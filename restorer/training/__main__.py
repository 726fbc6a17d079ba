from restorer.training.cli import main

raise SystemExit(main())
