"""Walk through the course's exercise with chainrule, question by question.

Usage::

    python examples/exercise_tour.py [OUT_DIR] [--no-heart]

Prints every step of the six questions (the NOT neuron's C_1 = 0.696 and
C_0 = 1.2, the valley of its cost map along b = −w, the four derivatives,
``dCdb`` and the exercise's own wrong line ``dCda = 2*(a-y)**2``, the 2×3
layer's C_k = 1.8, and back-propagation through hidden layers), every answer
option of every question with its number and verdict, and writes
``q2_landscape.png`` and ``heart.png`` to OUT_DIR (default ``tour-output``).
``--no-heart`` skips the two-second training of the heart network.  This is
the same code as ``chainrule tour --out OUT_DIR``.
"""

from __future__ import annotations

import argparse

from chainrule.tour import run_tour


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Walk through the course's exercise with chainrule.")
    parser.add_argument("out_dir", nargs="?", default="tour-output",
                        help="folder for the pictures (created if missing)")
    parser.add_argument("--no-heart", action="store_true",
                        help="skip training the 1-6-7-2 network on the heart curve")
    args = parser.parse_args(argv)
    run_tour(args.out_dir, train_heart=not args.no_heart)


if __name__ == "__main__":
    main()
