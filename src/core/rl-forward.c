/* rl-forward.c — to be written */
