# e2b-agent's Python kernel (embedded in the agent; run as `python3 -u -c <this>`).
# Protocol with the agent:
#   requests: one JSON object per line on the original stdin: {"code": str, "env": {str: str}}
#   replies: on stdout, "\x1eE2B:" + JSON + "\n" for control messages ({"type": "result"|"error"
#   |"done", ...}: result and error objects are the NDJSON lines of the code-interpreter API);
#   everything else on stdout/stderr is the cell's output, read by the agent as it comes.
# User code gets /dev/null as stdin so it cannot consume requests.
import ast
import base64
import json
import os
import signal
import sys
import linecache
import traceback
import types

_MARK = b"\x1eE2B:"
_req_in = os.fdopen(os.dup(0), "rb")
_devnull = os.open(os.devnull, os.O_RDONLY)
os.dup2(_devnull, 0)
os.close(_devnull)
signal.signal(signal.SIGINT, signal.default_int_handler)
# Whole lines per write (print's text and newline together); _send flushes partial lines.
sys.stdout.reconfigure(line_buffering=True, write_through=False)
sys.stderr.reconfigure(line_buffering=True, write_through=False)


def _send(msg):
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    data = _MARK + json.dumps(msg, default=str).encode() + b"\n"
    while data:
        n = os.write(1, data)
        data = data[n:]


def _strip_quotes(text):
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


_MIME = {
    "text/plain": "text",
    "text/html": "html",
    "text/markdown": "markdown",
    "image/svg+xml": "svg",
    "image/png": "png",
    "image/jpeg": "jpeg",
    "application/pdf": "pdf",
    "text/latex": "latex",
    "application/json": "json",
    "application/javascript": "javascript",
    "e2b/data": "data",
    "e2b/chart": "chart",
}
_REPR = [
    ("_repr_html_", "html"),
    ("_repr_markdown_", "markdown"),
    ("_repr_svg_", "svg"),
    ("_repr_png_", "png"),
    ("_repr_jpeg_", "jpeg"),
    ("_repr_pdf_", "pdf"),
    ("_repr_latex_", "latex"),
    ("_repr_json_", "json"),
    ("_repr_javascript_", "javascript"),
]


def _b64(v):
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(bytes(v)).decode()
    return v


def _format(value, is_main):
    msg = {"type": "result", "is_main_result": is_main}
    bundle = None
    rmb = getattr(value, "_repr_mimebundle_", None)
    if callable(rmb) and not isinstance(value, type):
        try:
            bundle = rmb()
            if isinstance(bundle, tuple):
                bundle = bundle[0]
        except Exception:
            bundle = None
    if isinstance(bundle, dict):
        extra = {}
        for mime, v in bundle.items():
            key = _MIME.get(mime)
            if key is None:
                extra[mime] = _b64(v)
            else:
                msg[key] = _b64(v)
        if extra:
            msg["extra"] = extra
    elif not isinstance(value, type):
        for attr, key in _REPR:
            fn = getattr(value, attr, None)
            if not callable(fn):
                continue
            try:
                v = fn()
            except Exception:
                continue
            if isinstance(v, tuple):
                v = v[0]
            if v is not None:
                msg[key] = _b64(v)
    if "text" not in msg:
        try:
            msg["text"] = repr(value)
        except Exception as e:
            msg["text"] = "<unrepresentable %s: %s>" % (type(value).__name__, e)
    if isinstance(msg["text"], str):
        msg["text"] = _strip_quotes(msg["text"])
    return msg


# ---- matplotlib: figures become PNG results (display_data), plt.show() included ----

def _flush_figures():
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return
    try:
        import io

        for num in plt.get_fignums():
            fig = plt.figure(num)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", bbox_inches="tight")
            _send({"type": "result", "is_main_result": False, "text": repr(fig),
                   "png": base64.b64encode(buf.getvalue()).decode()})
        plt.close("all")
    except Exception:
        traceback.print_exc()


def _install_mpl_backend():
    # MPLBACKEND=module://e2b_mpl_backend: Agg for drawing, show() emits the figures. The module
    # is made on import (matplotlib itself is only imported if the user code does).
    class Backend:
        def find_spec(self, name, path=None, target=None):
            if name != "e2b_mpl_backend":
                return None
            from importlib.machinery import ModuleSpec

            return ModuleSpec(name, self)

        def create_module(self, spec):
            return None

        def exec_module(self, module):
            from matplotlib.backends import backend_agg

            module.__dict__.update({k: v for k, v in vars(backend_agg).items() if not k.startswith("__")})
            module.FigureCanvas = backend_agg.FigureCanvasAgg
            module.show = lambda *args, **kwargs: _flush_figures()

    sys.meta_path.append(Backend())
    os.environ.setdefault("MPLBACKEND", "module://e2b_mpl_backend")


_install_mpl_backend()

# ---- execution ----

_globals = {"__name__": "__main__", "__builtins__": __builtins__}
sys.modules["__main__"] = types.ModuleType("__main__")
sys.modules["__main__"].__dict__.update(_globals)
_globals = sys.modules["__main__"].__dict__
_loop = None


def _run_code(obj):
    global _loop
    res = eval(obj, _globals)
    if obj.co_flags & 0x80 and res is not None and hasattr(res, "__await__"):  # CO_COROUTINE
        import asyncio

        if _loop is None:
            _loop = asyncio.new_event_loop()
        res = _loop.run_until_complete(res)
    return res


_cells = 0


def _cell_name(code):
    """A file name per cell, its source registered with linecache, so tracebacks show the lines
    that failed (also in functions defined by an earlier cell), as Jupyter's do."""
    global _cells
    _cells += 1
    name = "<cell-%d>" % _cells
    linecache.cache[name] = (len(code), None, code.splitlines(True), name)
    linecache.cache.pop("<cell-%d>" % (_cells - 1000), None)  # bounded: the last 1000 cells
    return name


def _error(exc):
    tb = exc.__traceback__
    # Drop the kernel's own frames (everything before the cell's first frame).
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<cell"):
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb)
    _send({"type": "error", "name": type(exc).__name__, "value": str(exc), "traceback": "".join(lines)})


def _execute(code):
    flags = getattr(ast, "PyCF_ALLOW_TOP_LEVEL_AWAIT", 0)
    name = _cell_name(code)
    try:
        tree = ast.parse(code, name, "exec")
    except SyntaxError as e:
        _send({"type": "error", "name": type(e).__name__, "value": str(e),
               "traceback": "".join(traceback.format_exception_only(type(e), e))})
        return
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    try:
        if tree.body:
            _run_code(compile(tree, name, "exec", flags=flags))
        if last is not None:
            value = _run_code(compile(last, name, "eval", flags=flags))
            _flush_figures()
            if value is not None:
                _globals["_"] = value
                _send(_format(value, True))
        else:
            _flush_figures()
    except BaseException as e:  # KeyboardInterrupt and SystemExit included: the kernel survives
        _flush_figures()
        _error(e)


def _main():
    for line in _req_in:
        try:
            req = json.loads(line.decode("utf-8", "replace"))
        except Exception as e:
            _send({"type": "error", "name": "InvalidRequest", "value": str(e), "traceback": ""})
            _send({"type": "done"})
            continue
        if req.get("type") == "ping":
            _send({"type": "done"})
            continue
        saved = {}
        for k, v in (req.get("env") or {}).items():
            saved[k] = os.environ.get(k)
            os.environ[k] = v
        try:
            _execute(req.get("code") or "")
        except KeyboardInterrupt as e:
            _error(e)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            _send({"type": "done"})


while True:
    try:
        _main()
        break
    except KeyboardInterrupt:  # an interrupt that arrived between cells
        continue
