"""rocks.engines: other Go engines over GTP, and games between engines.

The neutral layer that both ``rocks.play`` (the arena) and ``rocks.train`` (teacher games,
strength checks) use; it imports only ``rocks.go`` and the utilities below it.

    gtp_client   GtpClient: a GTP engine in a subprocess, typed failures
    commands     command lines: gnugo_command, pachi_command, rocks_gtp_command
    match        play_game: one game between two GTP engines, refereed move by move, as SGF
    referee      referee_score: dead stones judged by GNU Go, the board counted by area
"""
