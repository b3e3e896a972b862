"""The bottom layer: the citizen, their channel, the ID-number rule, the card holder, the masking of secrets and the
portal's link wording, as plain data and rules (standard library only) that every other layer may import."""
