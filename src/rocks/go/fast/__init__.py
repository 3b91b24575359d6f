"""The one fast Go core: the rules of :mod:`rocks.go.board` compiled by numba, for search and
playouts.

Follows the Tromp-Taylor rules of the readable spec (:class:`rocks.go.board.Position`) with the
data structures of fast playout engines (GNU Go, libEGO); every entry point is tested against
``Position`` move by move.  Hashes use the keys of :func:`rocks.go.board.zobrist_table`, so they
agree with ``Position.hash``.  One concept per module:

  - :mod:`~rocks.go.fast.state`: the ``State`` arrays the kernels share, and ``geometry``, the
    one neighbour table of the project's numba code (off-board neighbours are the sentinel
    index N = size*size, and ``board[N] == OFF``; the module docstring has the layout).
  - :mod:`~rocks.go.fast.chains`: incremental chains (pseudo-liberties, merge, capture, chain
    hashes) and ``place_stone``.
  - :mod:`~rocks.go.fast.rules`: legality (ko, suicide, positional superko via a hash set of
    earlier boards), ``play_move``, legal masks, the Tromp-Taylor score.
  - :mod:`~rocks.go.fast.fastboard`: ``FastBoard``, the in-place board's Python face.
  - :mod:`~rocks.go.fast.child`: ``Stepper``, the search's Position -> child Position
    transition, a stateless kernel over the same neighbour table.

Random playouts over the ``State`` live in :mod:`rocks.go.playout`.

numba's on-disk cache checks only the timestamp of the file that holds the compiled function,
not of the files whose kernels it inlined: after editing a module here, delete
``src/rocks/go/**/__pycache__/*.nb[ic]`` so that its callers in other files are compiled again.
"""

from rocks.go.board import BLACK, EMPTY, WHITE
from rocks.go.fast.chains import in_atari, place_stone, rebuild_chains
from rocks.go.fast.child import Stepper
from rocks.go.fast.fastboard import FastBoard
from rocks.go.fast.rules import (
    area_difference,
    check_move,
    is_eye,
    is_suicide,
    legal_mask_into,
    play_move,
    rebuild_history_set,
    score_state,
)
from rocks.go.fast.state import (
    CAPS_B,
    CAPS_W,
    HISTORY_FULL,
    KO,
    KO_BAN,
    META_LEN,
    MOVES,
    N_EMPTY,
    N_HIST,
    N_SET,
    OCCUPIED,
    OFF,
    OFF_BOARD,
    OK,
    PASSES,
    SUICIDE,
    SUPERKO,
    TO_PLAY,
    ZERO_SEEN,
    State,
    copy_state,
    geometry,
    hot,
    inline,
    new_state,
)

__all__ = [
    "BLACK", "WHITE", "EMPTY", "OFF", "State", "FastBoard", "Stepper", "geometry", "new_state",
    "copy_state", "play_move", "check_move", "place_stone", "legal_mask_into", "is_eye",
    "is_suicide", "in_atari", "area_difference", "score_state", "rebuild_chains",
    "rebuild_history_set", "hot", "inline", "TO_PLAY", "KO", "PASSES", "CAPS_B", "CAPS_W",
    "N_EMPTY", "N_HIST", "N_SET", "ZERO_SEEN", "MOVES", "META_LEN", "OK", "OCCUPIED", "KO_BAN",
    "SUICIDE", "SUPERKO", "OFF_BOARD", "HISTORY_FULL",
]
