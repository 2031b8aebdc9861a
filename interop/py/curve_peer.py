"""A real libzmq CURVE peer (pyzmq), for ferromq's interoperability tests.

Usage: curve_peer.py server          -> binds a CURVE ROUTER on 127.0.0.1,
                                        prints its port, serves until stdin closes
       curve_peer.py client ENDPOINT -> connects a CURVE DEALER to ENDPOINT,
                                        sends one message, lives until stdin closes
"""
import sys

import zmq

ctx = zmq.Context()
mode = sys.argv[1]
server_public, server_secret = zmq.curve_keypair()
if mode == "server":
    s = ctx.socket(zmq.ROUTER)
    s.curve_server = True
    s.curve_publickey = server_public
    s.curve_secretkey = server_secret
    port = s.bind_to_random_port("tcp://127.0.0.1")
    print(port, flush=True)
else:
    client_public, client_secret = zmq.curve_keypair()
    s = ctx.socket(zmq.DEALER)
    s.curve_serverkey = server_public
    s.curve_publickey = client_public
    s.curve_secretkey = client_secret
    s.connect(sys.argv[2])
    s.send(b"hello from CURVE")
    print("connected", flush=True)
# Live until the test closes our stdin (or dies).
sys.stdin.read()
s.close(linger=0)
ctx.term()
