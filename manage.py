#!/usr/bin/env python
from safetynet.cli import main

if __name__ == "__main__":
    main()
