from restorer.cli.entry import main

raise SystemExit(main())
