/* rl-svd-gram.c — to be written */
