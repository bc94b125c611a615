'use strict';
// Error classes with the official e2b SDK's names; every one carries the libe2b code:
// `e2bCode` (the negative E2B_E* number), `code` (its name, Node style) and `httpStatus`.

const CODES = {
  [-1]: 'E2B_ERROR', [-2]: 'E2B_EINVAL', [-3]: 'E2B_EVERSION', [-4]: 'E2B_ENOTFOUND',
  [-5]: 'E2B_ETIMEOUT', [-6]: 'E2B_EAUTH', [-7]: 'E2B_ERATELIMIT', [-8]: 'E2B_ENOSPACE',
  [-9]: 'E2B_ECANCELED', [-10]: 'E2B_EUSER', [-11]: 'E2B_EMISUSE', [-12]: 'E2B_ESANDBOX_NOT_FOUND',
  [-13]: 'E2B_EFILE_NOT_FOUND', [-14]: 'E2B_ECOMMAND_EXIT', [-15]: 'E2B_ETEMPLATE',
  [-16]: 'E2B_ENETWORK', [-17]: 'E2B_EPROTOCOL', [-18]: 'E2B_ENOMEM',
  [-19]: 'E2B_EPOOL_EXHAUSTED',
};

function init(self, name, message, e2bCode, httpStatus) {
  self.name = name;
  self.e2bCode = e2bCode;
  self.code = CODES[e2bCode] || 'E2B_ERROR';
  self.httpStatus = httpStatus || 0;
}

class SandboxError extends Error {
  constructor(message, e2bCode = -1, httpStatus = 0) { super(message); init(this, 'SandboxError', message, e2bCode, httpStatus); }
}
class TimeoutError extends SandboxError {
  constructor(m, c = -5, h = 0) { super(m, c, h); this.name = 'TimeoutError'; }
}
class InvalidArgumentError extends SandboxError {
  constructor(m, c = -2, h = 0) { super(m, c, h); this.name = 'InvalidArgumentError'; }
}
class NotEnoughSpaceError extends SandboxError {
  constructor(m, c = -8, h = 0) { super(m, c, h); this.name = 'NotEnoughSpaceError'; }
}
class NotFoundError extends SandboxError {
  constructor(m, c = -4, h = 0) { super(m, c, h); this.name = 'NotFoundError'; }
}
class SandboxNotFoundError extends NotFoundError {
  constructor(m, c = -12, h = 0) { super(m, c, h); this.name = 'SandboxNotFoundError'; }
}
class FileNotFoundError extends NotFoundError {
  constructor(m, c = -13, h = 0) { super(m, c, h); this.name = 'FileNotFoundError'; }
}
class TemplateError extends SandboxError {
  constructor(m, c = -15, h = 0) { super(m, c, h); this.name = 'TemplateError'; }
}
class RateLimitError extends SandboxError {
  constructor(m, c = -7, h = 0) { super(m, c, h); this.name = 'RateLimitError'; }
}
// As in the SDK, not a SandboxError.
class AuthenticationError extends Error {
  constructor(m, c = -6, h = 0) { super(m); init(this, 'AuthenticationError', m, c, h); }
}
// No SDK class: cancelled by the caller (AbortSignal, disconnect); named like DOM aborts.
class AbortError extends SandboxError {
  constructor(m = 'The operation was aborted', c = -9, h = 0) { super(m, c, h); this.name = 'AbortError'; }
}
class NetworkError extends SandboxError {
  constructor(m, c = -16, h = 0) { super(m, c, h); this.name = 'NetworkError'; }
}
class ProtocolError extends SandboxError {
  constructor(m, c = -17, h = 0) { super(m, c, h); this.name = 'ProtocolError'; }
}
// No SDK class: every sandbox of a SandboxPool is in use (acquire timed out).
class PoolExhaustedError extends SandboxError {
  constructor(m, c = -19, h = 0) { super(m, c, h); this.name = 'PoolExhaustedError'; }
}
class CommandExitError extends SandboxError {
  constructor(result, message) {
    super(message || `Command exited with code ${result.exitCode}`, -14, 0);
    this.name = 'CommandExitError';
    this.result = result;
  }
  get stdout() { return this.result.stdout; }
  get stderr() { return this.result.stderr; }
  get exitCode() { return this.result.exitCode; }
  get error() { return this.result.error; }
}

const BY_CODE = {
  [-2]: InvalidArgumentError, [-4]: NotFoundError, [-5]: TimeoutError, [-6]: AuthenticationError,
  [-7]: RateLimitError, [-8]: NotEnoughSpaceError, [-9]: AbortError, [-12]: SandboxNotFoundError,
  [-13]: FileNotFoundError, [-15]: TemplateError, [-16]: NetworkError, [-17]: ProtocolError,
  [-19]: PoolExhaustedError,
};

// Native errors carry e2bCode/httpStatus; anything else (a bug, a TypeError) passes unchanged.
function mapError(e) {
  if (!e || typeof e.e2bCode !== 'number' || e instanceof SandboxError || e instanceof AuthenticationError) return e;
  const Cls = BY_CODE[e.e2bCode] || SandboxError;
  const out = new Cls(e.message, e.e2bCode, e.httpStatus);
  if (Cls === SandboxError) { out.e2bCode = e.e2bCode; out.code = CODES[e.e2bCode] || 'E2B_ERROR'; }
  return out;
}

module.exports = {
  SandboxError, TimeoutError, InvalidArgumentError, NotEnoughSpaceError, NotFoundError,
  SandboxNotFoundError, FileNotFoundError, TemplateError, RateLimitError, AuthenticationError,
  AbortError, NetworkError, ProtocolError, PoolExhaustedError, CommandExitError, mapError, CODES,
};
