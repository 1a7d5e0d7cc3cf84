/** Every command group of the CLI; each capability adds one line here. */
import { registerBackupCommands } from '../../backups/cli.js';
import { registerRestoreCommands } from '../../backups/pitr/cli.js';
import { registerWalCommands } from '../../backups/wal/cli.js';
import { registerLoadCommands } from '../../loadtests/cli.js';
import { registerMonitorCommands } from '../../monitoring/cli.js';
import { registerSecurityCommands } from '../../security/cli.js';
import type { RegisterCommands } from '../core/cli/define.js';
import { registerReportCommands } from '../report/cli.js';
import { registerSandboxCommands } from '../sandbox/cli.js';
import { registerSearchCheckCommands } from '../search-check/cli.js';
import { registerConfigCommands } from './config/cli.js';
import { registerDoctorCommands } from './doctor/cli.js';
import { registerLaunchCommands } from './launch/cli.js';

export const commandRegistrations: RegisterCommands[] = [
  registerLaunchCommands,
  registerConfigCommands,
  registerSandboxCommands,
  registerBackupCommands,
  registerRestoreCommands,
  registerWalCommands,
  registerSearchCheckCommands,
  registerDoctorCommands,
  registerSecurityCommands,
  registerMonitorCommands,
  registerLoadCommands,
  registerReportCommands,
];
