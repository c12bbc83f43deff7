/* rl-svd.c — to be written */
