/* rl-eval.c — to be written */
