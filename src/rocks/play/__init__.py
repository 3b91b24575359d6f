"""rocks.play: playing Go with people and programs.

    engine       Engine: one game (history, rules, handicap, clocks) and its player
    decision     the Player contract: Player, Decision, Analyser
    players      PlayerSpec -> make_player (the one factory); the random and pass players
    mcts_player  MCTSPlayer: the search over a network or rollouts (AlphaGo Zero's play)
    gtp/         GTP v2, one module per command family; ``rocks gtp``
    web/         the board page and its JSON API; ``rocks play``
    arena        many games between GTP engines, a resumable results CSV, Elo; ``rocks arena``
    cli          the command lines, each generated from its config dataclass
"""
