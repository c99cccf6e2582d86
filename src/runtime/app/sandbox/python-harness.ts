/**
 * The Python side of the Pyodide sandbox: run once per worker, in a namespace of its own, it
 * defines `run(request_json)`, which runs one block and returns a JSON envelope
 *   {"ok": true, "json": "<the outputs as JSON>"}
 *   {"ok": false, "reason": "error" | "memory" | "output", "error": "...", "line": n}
 *
 * Each block gets fresh globals: its declared inputs (decoded from JSON) and a copy of the
 * builtins whose `__import__` refuses the modules that lead out of the interpreter (the JS
 * bridge, sockets, processes, ctypes, asyncio's event loop on the worker). That refusal gives a
 * clear error; it is not the boundary — Python can always find its way to objects it was not
 * handed. The boundary is the worker itself (pyodide-worker.ts): what a block could reach
 * through any bridge has been removed or disabled there.
 */
export const PYTHON_HARNESS = `
import builtins as _builtins
import json as _json

_loads = _json.loads
_dumps = _json.dumps
_real_import = _builtins.__import__

_DENIED = frozenset({
    "js", "pyodide_js", "pyodide", "_pyodide", "_pyodide_core", "micropip",
    "socket", "_socket", "ssl", "_ssl", "select", "selectors",
    "subprocess", "_posixsubprocess", "multiprocessing", "_multiprocessing",
    "ctypes", "_ctypes", "asyncio", "_asyncio",
})


def _guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0 and name.partition(".")[0] in _DENIED:
        raise ImportError(f"module '{name}' is not available in the rllm sandbox", name=name)
    return _real_import(name, globals, locals, fromlist, level)


_SAFE_BUILTINS = dict(vars(_builtins))
_SAFE_BUILTINS["__import__"] = _guarded_import


def _line_of(error):
    if isinstance(error, SyntaxError) and error.filename == "<block>":
        return error.lineno
    line = None
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<block>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _describe(error):
    if isinstance(error, SyntaxError):
        text = error.msg
    else:
        try:
            text = str(error)
        except BaseException:
            text = ""
    name = type(error).__name__
    return f"{name}: {text}" if text else name


def _failure(reason, error, line=None):
    return _dumps({"ok": False, "reason": reason, "error": error, "line": line})


def run(request_json):
    request = _loads(request_json)
    inputs = _loads(request["inputsJson"])
    names = {"__name__": "__rllm_block__", "__builtins__": dict(_SAFE_BUILTINS)}
    for name in request["inputs"]:
        names[name] = inputs[name]
    try:
        exec(compile(request["source"], "<block>", "exec", dont_inherit=True), names)
    except MemoryError as error:
        return _failure("memory", _describe(error), _line_of(error))
    except BaseException as error:
        return _failure("error", _describe(error), _line_of(error))
    parts = []
    for name in request["outputs"]:
        if name not in names:
            return _failure("output", f"output '{name}' was not set")
        try:
            parts.append(_dumps(name) + ":" + _dumps(names[name], allow_nan=False, ensure_ascii=False))
        except MemoryError as error:
            return _failure("memory", _describe(error))
        except BaseException as error:
            return _failure("output", f"output '{name}' is not JSON: {_describe(error)}")
    json = "{" + ",".join(parts) + "}"
    limit = request["maxOutputBytes"]
    if len(json) > limit or len(json.encode("utf-8")) > limit:
        return _failure("output", f"outputs are larger than the limit of {limit} bytes of JSON")
    return _dumps({"ok": True, "json": json})
`;
