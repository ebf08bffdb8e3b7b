"""Writes a benchmark's generated text into docs/benchmarks.md.

Shared by bench/run_codec_bench.sh and bench/{ipc,ports,web}/run_*_bench.sh:
each script's Python computes its markdown block, then calls

    sys.path.insert(0, "<repo>/bench/support")   # or PYTHONPATH
    from splice_doc import reflow, splice
    splice(doc_path, "ipc", reflow(block))

The block goes between `<!-- NAME:begin -->` and `<!-- NAME:end -->`,
replacing what was there; where the markers are missing it goes after the
section named by `after` (its end marker) or at the end of the document.
As a command: `splice_doc.py DOC NAME [--after NAME] [--reflow] < block`.
"""
import argparse
import os
import sys


def reflow(text, keep=("|",)):
    """One line per paragraph (as the rest of docs/benchmarks.md); paragraphs
    whose first line starts with one of `keep` (tables, lists) stay as they are."""
    paras = []
    for para in text.split("\n\n"):
        lines = para.strip("\n").splitlines()
        if lines and not lines[0].lstrip().startswith(tuple(keep)):
            para = " ".join(line.strip() for line in lines)
        paras.append(para.strip("\n"))
    return "\n\n".join(p for p in paras if p) + "\n"


def splice(doc_path, name, block, after=None, new_doc="# Benchmarks\n"):
    """Puts `block` between NAME's markers in `doc_path` (created from
    `new_doc` when missing) and writes the file."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = open(doc_path).read() if os.path.exists(doc_path) else new_doc
    block = block.rstrip("\n") + "\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + begin + "\n" + block + end + tail
    elif after and f"<!-- {after}:end -->" in text:
        marker = f"<!-- {after}:end -->"
        head, tail = text.split(marker, 1)
        text = head + marker + "\n\n" + begin + "\n" + block + end + tail
    else:
        text = text.rstrip("\n") + "\n\n" + begin + "\n" + block + end + "\n"
    if os.path.dirname(doc_path):
        os.makedirs(os.path.dirname(doc_path), exist_ok=True)
    with open(doc_path, "w") as f:
        f.write(text)
    print(f"wrote {doc_path}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("doc")
    ap.add_argument("name")
    ap.add_argument("--after")
    ap.add_argument("--reflow", action="store_true")
    args = ap.parse_args()
    block = sys.stdin.read()
    splice(args.doc, args.name, reflow(block) if args.reflow else block, after=args.after)


if __name__ == "__main__":
    main()
