# Answers each line received with "+PONG\r\n", like Redis answers PING. Usage: ADDRESS PORT
import socket
import sys
import threading


def serve(conn):
    with conn:
        for _ in conn.makefile("rb"):
            conn.sendall(b"+PONG\r\n")


listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((sys.argv[1], int(sys.argv[2])))
listener.listen(256)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
