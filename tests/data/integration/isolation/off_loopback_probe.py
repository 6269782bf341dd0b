# A backend that first tries to leave loopback (TEST-NET-1, 192.0.2.1, port 80), prints what
# happened, then serves HTTP. Usage: ADDRESS PORT
import errno
import http.server
import socket
import sys
import time

start = time.monotonic()
try:
    socket.create_connection(("192.0.2.1", 80), timeout=5).close()
    outcome = "connected"
except socket.timeout:
    outcome = "timeout"
except OSError as error:
    outcome = errno.errorcode.get(error.errno, str(error.errno))
print(f"off-loopback connect: {outcome} after {time.monotonic() - start:.3f}s", flush=True)
http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])),
                                http.server.SimpleHTTPRequestHandler).serve_forever()
