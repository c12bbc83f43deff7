/* rl-modelfile.c — to be written */
