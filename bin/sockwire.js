#!/usr/bin/env node
// Launcher for the `sockwire` command; the CLI itself is compiled to dist/cjs/cli (see src/cli/main.ts).
'use strict';
require('../dist/cjs/cli/main.js').main();
