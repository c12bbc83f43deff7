/* rl-image.c — to be written */
