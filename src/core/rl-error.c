/* rl-error.c — to be written */
