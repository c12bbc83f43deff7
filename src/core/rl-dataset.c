/* rl-dataset.c — to be written */
