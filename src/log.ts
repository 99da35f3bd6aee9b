// The runtime logger: zerolog-compatible JSON lines appended to the log file
// that liblxc writes to as well, plus the error report a client reads.
import { mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogTimestamp = 'lxc' | 'rfc3339';
export type LogFields = Record<string, unknown>;

export interface Logger {
  trace(m: string, fields?: LogFields): void;
  debug(m: string, fields?: LogFields): void;
  info(m: string, fields?: LogFields): void;
  warn(m: string, fields?: LogFields): void;
  error(m: string, fields?: LogFields): void;
  /** A child logger that adds `fields` (e.g. `{ cid }`) to every line. */
  with(fields: LogFields): Logger;
  /** Whether a line at `level` would be written; use it to skip building costly fields. */
  enabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  file: string;
  level: LogLevel;
  timestamp: LogTimestamp;
  cmd?: string;
  cid?: string;
}

const LEVEL_RANK: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };
const STDERR_FD = 2;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** liblxc's log time format, in UTC: `YYYYMMDDhhmmss.mmm`. */
export function lxcTimestamp(d: Date): string {
  return (
    `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}` +
    `.${pad(d.getUTCMilliseconds(), 3)}`
  );
}

/** Appends lines to the log file; opened on first use, shared by a logger and its children. */
class LogSink {
  private fd: number | undefined;
  private failed = false;

  constructor(readonly file: string) {}

  write(line: string): void {
    if (this.failed) return writeStderr(line);
    try {
      this.fd ??= openLogFile(this.file);
      writeSync(this.fd, line);
    } catch (err) {
      // The caller must never fail because of logging: say so once, then keep
      // the lines on stderr so they are not lost.
      this.failed = true;
      writeStderr(`crio-lxc: cannot write log file ${this.file}: ${errorMessage(err)}; logging to stderr instead\n`);
      writeStderr(line);
    }
  }
}

function openLogFile(file: string): number {
  mkdirSync(dirname(file), { recursive: true, mode: 0o750 });
  return openSync(file, 'a', 0o640);
}

function writeStderr(text: string): void {
  try {
    writeSync(STDERR_FD, text);
  } catch {
    // stderr is gone too; nothing left to tell.
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// Errors serialize to {} by default; zerolog writes them as their message.
function jsonValue(_key: string, value: unknown): unknown {
  if (value instanceof Error) return value.message;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

const CALL_SITE = /([^/\\\s(]+):(\d+):\d+\)?$/;

/** `file:line` of the frame that called `loggerMethod`. */
function callerOf(loggerMethod: Function): string {
  const holder: { stack?: string } = {};
  const savedLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  Error.captureStackTrace(holder, loggerMethod);
  Error.stackTraceLimit = savedLimit;
  const frame = holder.stack?.split('\n').find((l) => l.trimStart().startsWith('at '));
  const match = frame ? CALL_SITE.exec(frame) : null;
  return match ? `${match[1]}:${match[2]}` : 'unknown';
}

class JsonLogger implements Logger {
  constructor(
    private readonly sink: LogSink,
    private readonly minRank: number,
    private readonly timestamp: LogTimestamp,
    private readonly context: LogFields,
  ) {}

  trace(m: string, fields?: LogFields): void {
    if (this.minRank <= LEVEL_RANK.trace) this.emit('trace', m, fields, this.trace);
  }
  debug(m: string, fields?: LogFields): void {
    if (this.minRank <= LEVEL_RANK.debug) this.emit('debug', m, fields, this.debug);
  }
  info(m: string, fields?: LogFields): void {
    if (this.minRank <= LEVEL_RANK.info) this.emit('info', m, fields, this.info);
  }
  warn(m: string, fields?: LogFields): void {
    if (this.minRank <= LEVEL_RANK.warn) this.emit('warn', m, fields, this.warn);
  }
  error(m: string, fields?: LogFields): void {
    if (this.minRank <= LEVEL_RANK.error) this.emit('error', m, fields, this.error);
  }

  with(fields: LogFields): Logger {
    return new JsonLogger(this.sink, this.minRank, this.timestamp, { ...this.context, ...fields });
  }

  enabled(level: LogLevel): boolean {
    return this.minRank <= LEVEL_RANK[level];
  }

  private emit(level: LogLevel, m: string, fields: LogFields | undefined, method: Function): void {
    try {
      const now = new Date();
      const t = this.timestamp === 'lxc' ? lxcTimestamp(now) : now.toISOString();
      const c = callerOf(method);
      this.sink.write(formatLine({ ...this.context, ...fields }, { l: level, t, pid: process.pid, c, m }));
    } catch (err) {
      writeStderr(`crio-lxc: cannot log ${JSON.stringify(m)}: ${errorMessage(err)}\n`);
    }
  }
}

type CoreFields = { l: LogLevel; t: string; pid: number; c: string; m: string };

// Core fields come first and cannot be overridden by context or extra fields.
function formatLine(extra: LogFields, core: CoreFields): string {
  const record: LogFields = { ...core, ...extra, ...core };
  try {
    return JSON.stringify(record, jsonValue) + '\n';
  } catch (err) {
    // e.g. a circular structure: keep the message, say why the fields are missing.
    return JSON.stringify({ ...core, logErr: `fields not logged: ${errorMessage(err)}` }) + '\n';
  }
}

export function createLogger(opts: LoggerOptions): Logger {
  const context: LogFields = {};
  if (opts.cmd !== undefined) context.cmd = opts.cmd;
  if (opts.cid !== undefined) context.cid = opts.cid;
  return new JsonLogger(new LogSink(opts.file), LEVEL_RANK[opts.level], opts.timestamp, context);
}

export interface ClientErrorOptions {
  /** The client's `--log` file; it is truncated so it holds only this error. */
  logPath?: string;
  logFormat: 'json' | 'text';
}

/**
 * Reports a failed command the way runc does for podman/conmon: one record in
 * the `--log` file (JSON object or logrus text line) and the text on stderr.
 */
export function reportClientError(msg: string, opts: ClientErrorOptions): void {
  // Synchronous on purpose: the process exits right after this.
  writeStderr(msg.endsWith('\n') ? msg : `${msg}\n`);
  if (!opts.logPath) return;
  try {
    writeFileSync(opts.logPath, clientErrorRecord(msg, opts.logFormat, new Date()), { mode: 0o640 });
  } catch (err) {
    writeStderr(`crio-lxc: cannot write error to --log ${opts.logPath}: ${errorMessage(err)}\n`);
  }
}

function clientErrorRecord(msg: string, format: 'json' | 'text', now: Date): string {
  const time = now.toISOString();
  if (format === 'json') return JSON.stringify({ level: 'error', msg, time }) + '\n';
  return `time=${JSON.stringify(time)} level=error msg=${JSON.stringify(msg)}\n`;
}
