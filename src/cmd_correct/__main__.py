from cmd_correct.cli import main

raise SystemExit(main())
