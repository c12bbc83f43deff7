/* rl-svd-cache.c — to be written */
