#!/usr/bin/env node
'use strict';
// The `copilot` command: registers tsx (already a dependency) so the CLI's TypeScript runs as is,
// in this process, then hands over to cli/main.ts.
require('tsx/cjs/api').register();
require('./main.ts');
