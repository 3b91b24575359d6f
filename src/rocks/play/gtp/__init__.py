"""rocks.play.gtp: GTP v2 over an Engine, one module per command family.

    protocol   GtpEngine: the handler registry and the read-eval-print loop; GtpError
    core       the standard GTP v2 commands and GNU Go's extensions
    analysis   Leela Zero's and KataGo's analysis streams (Sabaki, Lizzie)
    gogui      GoGui's analyze commands (policy, ownership, candidates, PV, win rate)
    kgs        KGS's time settings and genmove_cleanup
    command    ``rocks gtp``: GtpConfig, build_gtp (every family), gtp_argv (a player's line)
"""
