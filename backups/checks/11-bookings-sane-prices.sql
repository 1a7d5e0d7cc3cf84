-- InstaInstru: every booking has a positive duration and a price in the platform's range (0 < hourly_rate <= 1000).
SELECT id, hourly_rate, total_price, duration_minutes
FROM bookings
WHERE duration_minutes <= 0 OR hourly_rate <= 0 OR hourly_rate > 1000 OR total_price < 0;
