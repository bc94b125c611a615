'use strict';
// Production layer over libe2b: artifacts by glob (e2b_artifacts_*) and workspace sync as one
// streamed tar (e2b_workspace_*), plus the monitoring conversions (metrics, logs).
const { native } = require('./native');
const { InvalidArgumentError } = require('./errors');
const { transfer } = require('./common');

const ARTIFACTS_F_DELETE = 0x1, ARTIFACTS_F_ALLOW_EMPTY = 0x2;
const WORKSPACE_F_TAR = 0x1, WORKSPACE_F_REPLACE = 0x2;

function xferOpts(opts, flags) {
  return { flags, user: opts.user, requestTimeoutMs: opts.requestTimeoutMs };
}
const progressFn = (opts) => (typeof opts.onProgress === 'function' ? opts.onProgress : null);

// sandbox.artifacts. Patterns match paths relative to the remote dir ('*', '?', '[...]', '**',
// '{a,b}'); downloads are streamed and land under their final name only when complete.
// onProgress({filesDone, filesTotal, bytesDone, bytesTotal, path}) is coalesced (latest state);
// signal stops the transfer at its next progress report.
class Artifacts {
  constructor(sbx) { this._sbx = sbx; }

  // -> [{relPath, remotePath, localPath, size, mimeType}]
  async download(remoteDir, patterns, localDir, opts = {}) {
    const list = typeof patterns === 'string' ? [patterns] : patterns;
    if (!Array.isArray(list) || list.length === 0) throw new InvalidArgumentError('at least one pattern is needed');
    const flags = (opts.delete ? ARTIFACTS_F_DELETE : 0) | (opts.allowEmpty ? ARTIFACTS_F_ALLOW_EMPTY : 0);
    return transfer(native().artifactsDownload(this._sbx._native(), remoteDir, list.map(String), localDir,
      xferOpts(opts, flags), progressFn(opts)), opts.signal);
  }

  // Uploads local files to remoteDir/<file name>, each streamed.
  async upload(localFiles, remoteDir, opts = {}) {
    const list = typeof localFiles === 'string' ? [localFiles] : localFiles;
    if (!Array.isArray(list) || list.length === 0) throw new InvalidArgumentError('at least one file is needed');
    return transfer(native().artifactsUpload(this._sbx._native(), list.map(String), remoteDir,
      xferOpts(opts, 0), progressFn(opts)), opts.signal);
  }
}

// sandbox.workspace: a directory tree as one streamed tar each way; every entry is checked
// (no absolute paths, no '..', no links out of the tree).
class Workspace {
  constructor(sbx) { this._sbx = sbx; }

  // push(localPath, remoteDir, {tar, user, requestTimeoutMs, onProgress, signal}) -> {entries}.
  // tar: localPath is a tar file (plain or compressed) instead of a directory.
  async push(localPath, remoteDir, opts = {}) {
    const entries = await transfer(native().workspace(this._sbx._native(), true, localPath, remoteDir,
      xferOpts(opts, opts.tar ? WORKSPACE_F_TAR : 0), progressFn(opts)), opts.signal);
    return { entries };
  }

  // pull(remotePath, localDir, {tar, replace, ...}) -> {entries}. localDir appears only once
  // complete; replace swaps an existing one atomically.
  async pull(remotePath, localDir, opts = {}) {
    const flags = (opts.tar ? WORKSPACE_F_TAR : 0) | (opts.replace ? WORKSPACE_F_REPLACE : 0);
    const entries = await transfer(native().workspace(this._sbx._native(), false, remotePath, localDir,
      xferOpts(opts, flags), progressFn(opts)), opts.signal);
    return { entries };
  }
}

const toUnixS = (d) => (d === undefined || d === null ? -1 : Math.floor((d instanceof Date ? d.getTime() : Number(d)) / 1000));

function metric(m) {
  return {
    timestamp: new Date(m.timestampMs), cpuCount: m.cpuCount, cpuUsedPct: m.cpuUsedPct,
    memUsed: m.memUsed, memTotal: m.memTotal, diskUsed: m.diskUsed, diskTotal: m.diskTotal,
  };
}

function logsOpts(opts) {
  const start = opts.start instanceof Date ? opts.start.getTime() : opts.start;
  if (opts.direction !== undefined && opts.direction !== 'forward' && opts.direction !== 'backward') {
    throw new InvalidArgumentError(`direction must be 'forward' or 'backward', got ${opts.direction}`);
  }
  return { cursorMs: start, limit: opts.limit, backward: opts.direction === 'backward', minLevel: opts.level, search: opts.search };
}

function logEntry(e) {
  return { timestamp: new Date(e.timestampMs), level: e.level, message: e.message, fields: e.fields };
}

module.exports = { Artifacts, Workspace, toUnixS, metric, logsOpts, logEntry };
