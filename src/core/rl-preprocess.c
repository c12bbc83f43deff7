/* rl-preprocess.c — to be written */
