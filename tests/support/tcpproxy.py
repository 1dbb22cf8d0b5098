"""The TCP proxy of the tests (cut, black hole, restore): ``bench/tcpproxy.py``, shared with the benchmarks."""

from bench.tcpproxy import TcpProxy

__all__ = ["TcpProxy"]
