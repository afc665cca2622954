"""GetBill adapter for debtkit (AI reminders by call, SMS and email)."""
