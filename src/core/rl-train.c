/* rl-train.c — to be written */
