"""The learner-bug catalogue: correct layers and losses (correct.py), the bugs students write in them
(bugs.py, as data), and the test that every bug is caught and named and every correct version passes."""
