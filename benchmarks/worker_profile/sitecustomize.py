"""Profile the companions worker of a profiled ``publicar run`` (``benchmarks/publish.py``).

On ``PYTHONPATH`` only in that benchmark's process, whose ``publication.ahead`` worker inherits
it: a process started as ``python -m publication.ahead`` while
``BENCH_WORKER_PROFILE`` names a folder runs under pyinstrument and saves its
session there when it exits, for the benchmark to add to its profile. Any other process
(``pip``, the tests, a normal run) is untouched.
"""

import os
import sys

_FOLDER = os.environ.get("BENCH_WORKER_PROFILE")

if _FOLDER and sys.orig_argv[1:3] == ["-m", "publication.ahead"]:
    import atexit

    from pyinstrument import Profiler

    _profiler = Profiler(interval=0.005)
    _profiler.start()

    def _save() -> None:
        session = _profiler.stop()
        session.save(os.path.join(_FOLDER, f"worker-{os.getpid()}.pyisession"))

    atexit.register(_save)
