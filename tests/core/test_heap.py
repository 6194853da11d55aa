"""A crawl keeps the memory its parses free for the next ones (core.platform.heap)."""

import subprocess
import sys

import pytest

from core.platform.heap import _glibc
from core.platform.settings import PROJECT_ROOT

# In a fresh interpreter (one that has done more may have raised glibc's thresholds itself):
# the page faults of 200 parses, warm, outside the block, inside it, and after it.
PROBE = """
import resource
from core.platform.heap import keeping_freed_memory
from core.scrape.dom import Selector, parse_html

PAGE = "<html><body>" + "".join(f"<div class='p'><h2>t{n}</h2><p>{'x' * 200}</p></div>"
                                for n in range(400)) + "</body></html>"

def faults():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(200):
        document = parse_html(PAGE)
        document.select(document.root, Selector("h2"))
        del document
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

faults()
outside = faults()
with keeping_freed_memory():
    faults()  # the heap grows once
    inside = faults()
print(outside, inside, faults())
"""


@pytest.mark.skipif(_glibc() is None, reason="glibc's malloc only")
def test_parses_inside_the_block_reuse_freed_memory_instead_of_faulting_it_back_in() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=60, check=True)
    outside, inside, after = map(int, done.stdout.split())

    assert outside > 1000  # each parse's memory was given back, then faulted in again
    assert inside < outside / 10
    assert after > outside / 2  # the block's setting does not outlive it
