"""Page objects: one class per screen of the portal (and later the agent's installer and tray); no pytest here."""
