/* rl-plan.c — to be written */
