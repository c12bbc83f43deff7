/* rl-model.c — to be written */
