"""The written channel: the citizens' form, the codes and answers sent by e-mail, status notices."""
