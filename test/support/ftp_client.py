"""An independent FTP client for the FTP ingest tests (Python's ftplib, standard library only).

Usage: ftp_client.py <scenario> <host> <port> <user> <password> <remote path> <file>
Prints one JSON object: the replies the server gave, in order.

Scenarios:
  upload  STOR the whole file and close the data connection cleanly.
  reset   send half the file, then reset the data connection (no clean close), then read the reply.
  abort   send half the file, then ABOR, then read the replies.
"""
import ftplib
import json
import socket
import struct
import sys


def main():
    scenario, host, port, user, password, remote, path = sys.argv[1:8]
    with open(path, "rb") as f:
        data = f.read()
    ftp = ftplib.FTP()
    ftp.connect(host, int(port), timeout=10)
    replies = {"login": ftp.login(user, password)}
    if scenario == "upload":
        ftp.voidcmd("TYPE I")
        try:
            replies["stor"] = ftp.storbinary("STOR " + remote, __import__("io").BytesIO(data))
        except ftplib.Error as e:
            replies["stor"] = str(e)
    elif scenario == "reset":
        ftp.voidcmd("TYPE I")
        conn = ftp.transfercmd("STOR " + remote)
        conn.sendall(data[: len(data) // 2])
        # SO_LINGER with a zero timeout: close() resets the connection instead of ending it.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        try:
            replies["stor"] = ftp.getresp()
        except ftplib.Error as e:
            replies["stor"] = str(e)
    elif scenario == "abort":
        ftp.voidcmd("TYPE I")
        conn = ftp.transfercmd("STOR " + remote)
        conn.sendall(data[: len(data) // 2])
        ftp.sock.sendall(b"ABOR\r\n")
        try:
            replies["stor"] = ftp.getresp()
        except ftplib.Error as e:
            replies["stor"] = str(e)
        conn.close()
        replies["abor"] = ftp.getresp()
    replies["quit"] = ftp.quit()
    print(json.dumps(replies))


if __name__ == "__main__":
    main()
